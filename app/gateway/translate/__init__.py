"""Translation between the OpenAI Chat Completions, OpenAI Responses and Anthropic Messages formats."""
from .anthropic_to_openai import (
    anthropic_error_to_openai,
    anthropic_request_to_openai,
    anthropic_response_to_openai,
    anthropic_usage_to_openai,
)
from .openai_to_anthropic import (
    TranslationError,
    openai_error_to_anthropic,
    openai_request_to_anthropic,
    openai_response_to_anthropic,
    openai_usage_to_anthropic,
)
from .responses import (
    chat_response_to_responses,
    envelope,
    input_items,
    new_response_id,
    responses_request_to_chat,
)
from .responses_stream import ChatToResponsesStream
from .structured import STRUCTURED_TOOL, wants_structured
from .streams import AnthropicToOpenAIStream, OpenAIToAnthropicStream, SSEParser, StreamUsage, sse_event

__all__ = [
    "STRUCTURED_TOOL",
    "AnthropicToOpenAIStream",
    "ChatToResponsesStream",
    "OpenAIToAnthropicStream",
    "SSEParser",
    "StreamUsage",
    "TranslationError",
    "anthropic_error_to_openai",
    "anthropic_request_to_openai",
    "anthropic_response_to_openai",
    "anthropic_usage_to_openai",
    "chat_response_to_responses",
    "envelope",
    "input_items",
    "new_response_id",
    "responses_request_to_chat",
    "openai_error_to_anthropic",
    "openai_request_to_anthropic",
    "openai_response_to_anthropic",
    "openai_usage_to_anthropic",
    "sse_event",
    "wants_structured",
]
