"""Stored responses: store: true keeps a response for its org; previous_response_id continues it."""
import datetime as dt

import openai
import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.retention import purge_usage
from app.models import Organization, StoredResponse, utcnow
from tests.factories import make_key, make_org, make_user

MODELS = ["gpt-test", "claude-test"]


@pytest.fixture
def oai(world, live_tollgate):
    return openai.OpenAI(base_url=f"{live_tollgate.url}/v1", api_key=world.secret, max_retries=0)


@pytest.fixture
def stranger(world, live_tollgate):
    """A key of another org."""
    user = make_user("stranger")
    org = make_org("Other", plan="pro", balance_usd="10", owner=user)
    _, secret = make_key(user, org)
    return openai.OpenAI(base_url=f"{live_tollgate.url}/v1", api_key=secret, max_retries=0)


def stored_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(StoredResponse))


@pytest.mark.parametrize("model", MODELS)
def test_stored_response_can_be_retrieved_then_deleted(oai, model):
    made = oai.responses.create(model=model, input="Hello there", store=True)
    assert made.store is True
    got = oai.responses.retrieve(made.id)
    assert got.id == made.id and got.output_text == made.output_text and got.usage.output_tokens == 16
    oai.responses.delete(made.id)
    with pytest.raises(openai.NotFoundError):
        oai.responses.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        oai.responses.delete(made.id)


@pytest.mark.parametrize("model", MODELS)
def test_streamed_response_is_stored_when_asked(oai, model):
    events = list(oai.responses.create(model=model, input="Hello there", store=True, stream=True))
    final = events[-1].response
    assert oai.responses.retrieve(final.id).output_text == final.output_text


def test_input_items_list_the_conversation_newest_first(oai, stranger):
    first = oai.responses.create(model="claude-test", input="My name is Ada.", store=True)
    second = oai.responses.create(model="gpt-test", previous_response_id=first.id, store=True,
                                  input=[{"type": "message", "role": "user",
                                          "content": [{"type": "input_text", "text": "Name?"}]}])
    items = list(oai.responses.input_items.list(second.id))
    assert [(i.type, i.role) for i in items] == [("message", "user"), ("message", "assistant"), ("message", "user")]
    assert items[0].content[0].text == "Name?" and items[2].content[0].text == "My name is Ada."
    assert items[1].content[0].type == "output_text" and items[1].content[0].text == first.output_text
    page = oai.responses.input_items.list(second.id, order="asc", limit=2)
    assert [i.content[0].text for i in page.data] == ["My name is Ada.", first.output_text] and page.has_more
    rest = oai.responses.input_items.list(second.id, order="asc", limit=2, after=page.data[-1].id)
    assert [i.content[0].text for i in rest.data] == ["Name?"] and not rest.has_more
    with pytest.raises(openai.BadRequestError) as exc:
        oai.responses.input_items.list(second.id, limit=500)
    assert exc.value.body["param"] == "limit"
    with pytest.raises(openai.NotFoundError):
        stranger.responses.input_items.list(second.id)


def test_store_false_keeps_nothing(oai):
    made = oai.responses.create(model="gpt-test", input="Hello there", store=False)
    plain = oai.responses.create(model="claude-test", input="Hello there")  # stateless by default
    assert stored_count() == 0
    for rid in (made.id, plain.id):
        with pytest.raises(openai.NotFoundError):
            oai.responses.retrieve(rid)


def test_another_orgs_id_is_a_404_and_stays_stored(oai, stranger):
    made = oai.responses.create(model="gpt-test", input="Hello there", store=True)
    with pytest.raises(openai.NotFoundError) as exc:
        stranger.responses.retrieve(made.id)
    assert exc.value.body["code"] == "response_not_found"
    with pytest.raises(openai.NotFoundError):
        stranger.responses.delete(made.id)
    assert oai.responses.retrieve(made.id).id == made.id
    with pytest.raises(openai.BadRequestError) as exc:
        stranger.responses.create(model="gpt-test", input="And then?", previous_response_id=made.id)
    assert exc.value.body["param"] == "previous_response_id"


def test_retrieve_needs_a_valid_key(world, live_tollgate):
    resp = requests.get(f"{live_tollgate.url}/v1/responses/resp_x", headers={"Authorization": "Bearer nope"},
                        timeout=5)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize("model", MODELS)
def test_previous_response_id_sends_the_whole_conversation(oai, mock_upstream, model):
    first = oai.responses.create(model=model, input="My name is Ada.", instructions="Be brief.", store=True)
    second = oai.responses.create(model=model, input="What is my name?", previous_response_id=first.id,
                                  store=True)
    assert second.previous_response_id == first.id
    if model == "gpt-test":
        sent = mock_upstream.last("responses")
        assert "previous_response_id" not in sent and sent["store"] is False
        assert [(i.get("role"), i["type"]) for i in sent["input"]] == [
            ("user", "message"), ("assistant", "message"), ("user", "message")]
        assert sent["input"][1]["content"][0]["text"] == first.output_text and "id" not in sent["input"][1]
        assert "instructions" not in sent  # as OpenAI: instructions do not carry over
    else:
        sent = mock_upstream.last("messages")
        assert sent["messages"] == [{"role": "user", "content": "My name is Ada."},
                                    {"role": "assistant", "content": first.output_text},
                                    {"role": "user", "content": "What is my name?"}]
        assert "system" not in sent
    third = oai.responses.create(model=model, input="Thanks", previous_response_id=second.id)
    assert third.status == "completed"
    if model == "claude-test":
        assert len(mock_upstream.last("messages")["messages"]) == 5


def test_tool_round_trip_through_previous_response_id(oai, mock_upstream):
    from .helpers import knobs

    tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}]
    with knobs(mock_upstream, tool_call="get_weather"):
        first = oai.responses.create(model="claude-test", input="Weather?", tools=tools, store=True)
    call = first.output[0]
    oai.responses.create(model="claude-test", previous_response_id=first.id, tools=tools,
                         input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}])
    sent = mock_upstream.last("messages")["messages"]
    assert sent[1]["content"][0]["type"] == "tool_use" and sent[1]["content"][0]["id"] == call.call_id
    assert sent[2]["content"][0] == {"type": "tool_result", "tool_use_id": call.call_id, "content": "sunny"}


def test_retention_purges_stored_responses_with_the_orgs_usage_logs(oai, world):
    old = oai.responses.create(model="gpt-test", input="old", store=True)
    recent = oai.responses.create(model="gpt-test", input="recent", store=True)
    db.session.get(StoredResponse, old.id).created_at = utcnow() - dt.timedelta(days=40)
    db.session.get(Organization, world.org.id).retention_days = 30
    db.session.commit()
    purge_usage(utcnow().isoformat())
    with pytest.raises(openai.NotFoundError):
        oai.responses.retrieve(old.id)
    assert oai.responses.retrieve(recent.id).id == recent.id
