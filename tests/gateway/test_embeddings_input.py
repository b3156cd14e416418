"""/v1/embeddings takes every input shape OpenAI's API takes, and refuses others naming the item."""
import pytest

from .helpers import assert_nothing_charged, usage_charges


@pytest.mark.parametrize("given, count", [
    ("one text", 1),
    (["a", "b"], 2),
    ([1, 2, 3], 1),  # one text as token ids
    ([[1, 2], [3]], 2),  # several texts as token ids
])
def test_texts_and_token_arrays_are_embedded_and_charged(client, world, mock_upstream, given, count):
    resp = client.post("/v1/embeddings", json={"model": "embed-test", "input": given}, headers=world.headers)
    assert resp.status_code == 200, resp.json
    assert len(resp.json["data"]) == count
    assert mock_upstream.last("embeddings")["input"] == given
    assert len(usage_charges()) == 1


@pytest.mark.parametrize("given, field", [
    ([], "input"),
    ({"text": "a"}, "input"),
    ([1, "a"], "input[0]"),
    ([[1, 2], []], "input[1]"),
    ([[1, -2]], "input[0]"),
    ([[1, 2.5]], "input[0]"),
    ([True], "input[0]"),
    ([["a"]], "input[0]"),
])
def test_other_inputs_are_a_400_naming_the_item(client, world, given, field):
    resp = client.post("/v1/embeddings", json={"model": "embed-test", "input": given}, headers=world.headers)
    assert resp.status_code == 400
    assert resp.json["error"]["param"] == field
    assert_nothing_charged(world)
