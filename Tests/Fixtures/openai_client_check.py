"""Drives a LightServe server with the official openai client; exits non-zero on any mismatch."""
import sys

from openai import BadRequestError, OpenAI

client = OpenAI(base_url=sys.argv[1], api_key="unused")
assert client.models.list().data[0].id == "SmolLM2-135M-Instruct.Q4_1"

chat = client.chat.completions.create(
    model="m", messages=[{"role": "user", "content": "What is the capital of France?"}],
    max_tokens=12, temperature=0, logprobs=True, top_logprobs=2)
assert "Paris" in chat.choices[0].message.content, chat
assert chat.choices[0].logprobs.content[0].top_logprobs[0].token
assert chat.usage.total_tokens == chat.usage.prompt_tokens + chat.usage.completion_tokens

completions = client.completions.create(model="m", prompt=["One, two,", "A, B,"], max_tokens=4, temperature=0, n=2, echo=True)
assert [c.index for c in completions.choices] == [0, 1, 2, 3]
assert completions.choices[0].text.startswith("One, two,") and completions.choices[2].text.startswith("A, B,")

parts, usage = [], None
for chunk in client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "Hi"}], max_tokens=6, temperature=0, stream=True,
        stream_options={"include_usage": True}):
    if chunk.choices:
        parts.append(chunk.choices[0].delta.content or "")
    if chunk.usage:
        usage = chunk.usage
assert "".join(parts) and usage.completion_tokens == 6, (parts, usage)

texts = {}
for chunk in client.completions.create(model="m", prompt="Once upon a time", max_tokens=5, stream=True, seed=1, n=2):
    for choice in chunk.choices:
        texts[choice.index] = texts.get(choice.index, "") + choice.text
assert sorted(texts) == [0, 1], texts

try:
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}], logit_bias={"1": 5})
    raise AssertionError("logit_bias was accepted")
except BadRequestError as error:
    assert "logit_bias" in str(error)

print("all checks passed")
