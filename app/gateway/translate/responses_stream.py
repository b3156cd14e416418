"""Chat Completions stream chunks -> the Responses API's event sequence.

response.created, response.in_progress, then per output item: output_item.added,
(content_part.added, output_text.delta..., output_text.done, content_part.done) or
(function_call_arguments.delta..., function_call_arguments.done), output_item.done; and
last response.completed (or response.incomplete) carrying the whole response and its
usage. Every event has the next sequence_number. No I/O: the gateway feeds the chunks.
"""
from __future__ import annotations

from .openai_to_anthropic import JSON
from .responses import finished, function_call_item, message_item, new_item_id, usage_from_chat

Event = tuple[str, JSON]


class ChatToResponsesStream:
    def __init__(self, shell: JSON) -> None:
        self.shell = shell
        self.seq = -1
        self.output: list[JSON] = []
        self.finish_reason: str | None = None
        self.usage: JSON | None = None
        self.response: JSON | None = None  # the final response object, once finish() ran
        self._started = False
        self._open: JSON | None = None  # the output item being streamed
        self._tools: dict[int, JSON] = {}  # chat tool_calls index -> its function_call item

    def event(self, kind: str, **fields) -> Event:
        self.seq += 1
        return kind, {"type": kind, "sequence_number": self.seq, **fields}

    def feed(self, chunk: JSON) -> list[Event]:
        events = self._start()
        if chunk.get("usage"):
            self.usage = usage_from_chat(chunk["usage"])
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                events += self._text(delta["content"])
            for call in delta.get("tool_calls") or []:
                events += self._tool_call(call)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return events

    def finish(self) -> list[Event]:
        events = self._start() + self._close()
        self.response = finished(self.shell, self.output, self.finish_reason, self.usage)
        kind = "response.incomplete" if self.response["status"] == "incomplete" else "response.completed"
        return events + [self.event(kind, response=self.response)]

    def _start(self) -> list[Event]:
        if self._started:
            return []
        self._started = True
        return [self.event("response.created", response=self.shell),
                self.event("response.in_progress", response=self.shell)]

    def _text(self, text: str) -> list[Event]:
        events: list[Event] = []
        if self._open is None or self._open["type"] != "message":
            events += self._close()
            events += self._add(message_item(new_item_id("msg"), None, "in_progress"))
            self._open["content"] = [{"type": "output_text", "text": "", "annotations": [], "logprobs": []}]
            events.append(self.event("response.content_part.added", content_index=0,
                                     part=dict(self._open["content"][0]), **self._where()))
        self._open["content"][0]["text"] += text
        events.append(self.event("response.output_text.delta", content_index=0, delta=text, logprobs=[],
                                 **self._where()))
        return events

    def _tool_call(self, call: JSON) -> list[Event]:
        events: list[Event] = []
        index, fn = call.get("index", 0), call.get("function") or {}
        item = self._tools.get(index)
        if item is None:
            events += self._close()
            item = self._tools[index] = function_call_item(new_item_id("fc"), call.get("id"), fn.get("name"), "",
                                                           "in_progress")
            events += self._add(item)
        if fn.get("arguments"):
            item["arguments"] += fn["arguments"]
            events.append(self.event("response.function_call_arguments.delta", delta=fn["arguments"],
                                     item_id=item["id"], output_index=self.output.index(item)))
        return events

    def _add(self, item: JSON) -> list[Event]:
        self.output.append(item)
        self._open = item
        shown = dict(item, content=[]) if item["type"] == "message" else dict(item)
        return [self.event("response.output_item.added", output_index=len(self.output) - 1, item=shown)]

    def _where(self) -> JSON:
        return {"item_id": self._open["id"], "output_index": self.output.index(self._open)}

    def _close(self) -> list[Event]:
        item, self._open = self._open, None
        if item is None:
            return []
        where = {"item_id": item["id"], "output_index": self.output.index(item)}
        item["status"] = "completed"
        if item["type"] == "message":
            part = item["content"][0]
            events = [self.event("response.output_text.done", content_index=0, text=part["text"], logprobs=[],
                                 **where),
                      self.event("response.content_part.done", content_index=0, part=part, **where)]
        else:
            events = [self.event("response.function_call_arguments.done", arguments=item["arguments"], **where)]
        return events + [self.event("response.output_item.done", output_index=where["output_index"], item=item)]
