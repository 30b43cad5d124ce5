"""Structured generation as applications use it, on Qwen2.5-Coder-0.5B-Instruct: the official openai
client's response formats, parse() with a pydantic model and tool calls (whole and streamed), and
LightLLM's constraint parameters. Every constrained answer is checked by an independent validator
(jsonschema, Python's re) rather than by LightServe's own grammar engine. Exits non-zero on any
mismatch; the argument is the server's root URL."""
import json
import re
import sys

import jsonschema
import pydantic
import requests
from openai import BadRequestError, OpenAI

root = sys.argv[1]
client = OpenAI(base_url=root + "/v1", api_key="unused")
greedy = {"model": "m", "temperature": 0}

person = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 40},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "languages": {"type": "array", "items": {"enum": ["Swift", "Python", "C", "Rust"]}, "maxItems": 4},
    },
    "required": ["name", "age", "languages"],
    "additionalProperties": False,
}
ask_person = [{"role": "user", "content": "Describe a fictional programmer as JSON: name, age, languages."}]

# response_format json_schema: the answer parses and is valid under the schema.
chat = client.chat.completions.create(
    messages=ask_person, max_tokens=120,
    response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": person, "strict": True}},
    **greedy)
answer = chat.choices[0]
assert answer.finish_reason == "stop", answer
jsonschema.validate(json.loads(answer.message.content), person)

# json_object: any JSON object.
chat = client.chat.completions.create(
    messages=[{"role": "user", "content": "Give me a JSON object with two colours."}], max_tokens=60,
    response_format={"type": "json_object"}, **greedy)
assert isinstance(json.loads(chat.choices[0].message.content), dict), chat


# parse() with a pydantic model, as the openai client documents it.
class City(pydantic.BaseModel):
    name: str
    country: str
    population_millions: float


parsed = client.chat.completions.parse(
    messages=[{"role": "user", "content": "Tell me about Paris as JSON."}], max_tokens=80, response_format=City,
    **greedy)
city = parsed.choices[0].message.parsed
assert isinstance(city, City) and city.name, parsed

# Streamed, the same constraint: the joined deltas validate.
parts = []
for chunk in client.chat.completions.create(
        messages=ask_person, max_tokens=120, stream=True,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": person}}, **greedy):
    if chunk.choices and chunk.choices[0].delta.content:
        parts.append(chunk.choices[0].delta.content)
jsonschema.validate(json.loads("".join(parts)), person)

weather = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"],
        },
    },
}
clock = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Current time in a time zone",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]},
    },
}
ask_weather = [{"role": "user", "content": "What's the weather like in Paris today?"}]
schemas = {tool["function"]["name"]: tool["function"]["parameters"] for tool in (weather, clock)}

# tool_choice "required": the answer is calls to offered functions with valid arguments.
chat = client.chat.completions.create(
    messages=ask_weather, tools=[weather, clock], tool_choice="required", max_tokens=100, **greedy)
answer = chat.choices[0]
assert answer.finish_reason == "tool_calls" and answer.message.tool_calls, answer
for call in answer.message.tool_calls:
    assert call.type == "function" and call.id.startswith("call_"), call
    jsonschema.validate(json.loads(call.function.arguments), schemas[call.function.name])

# A named function: that function is called.
chat = client.chat.completions.create(
    messages=ask_weather, tools=[weather, clock], max_tokens=100,
    tool_choice={"type": "function", "function": {"name": "get_time"}}, **greedy)
calls = chat.choices[0].message.tool_calls
assert [call.function.name for call in calls] == ["get_time"], chat
jsonschema.validate(json.loads(calls[0].function.arguments), schemas["get_time"])

# Streamed calls: delta.tool_calls carry the index, the id and name once, then argument pieces.
streamed, finish = {}, None
for chunk in client.chat.completions.create(
        messages=ask_weather, tools=[weather, clock], tool_choice="required", max_tokens=100, stream=True, **greedy):
    if not chunk.choices:
        continue
    finish = chunk.choices[0].finish_reason or finish
    for piece in chunk.choices[0].delta.tool_calls or []:
        call = streamed.setdefault(piece.index, {"name": None, "arguments": ""})
        if piece.function and piece.function.name:
            assert call["name"] is None, "a call's name comes once"
            call["name"] = piece.function.name
        if piece.function and piece.function.arguments:
            call["arguments"] += piece.function.arguments
assert finish == "tool_calls" and streamed, (finish, streamed)
for call in streamed.values():
    jsonschema.validate(json.loads(call["arguments"]), schemas[call["name"]])

# The call answered: the template renders the result and the model replies in text.
first = answer.message.tool_calls[0]
chat = client.chat.completions.create(
    messages=ask_weather + [
        {"role": "assistant", "content": None, "tool_calls": [first.model_dump()]},
        {"role": "tool", "tool_call_id": first.id, "content": json.dumps({"temperature": 21, "sky": "clear"})},
    ],
    tools=[weather, clock], max_tokens=40, **greedy)
assert chat.choices[0].message.content, chat

# A tool whose parameters cannot be compiled is refused, naming the tools.
broken = {"type": "function", "function": {"name": "f", "parameters": {"properties": {"a": {"pattern": "("}}}}}
try:
    client.chat.completions.create(messages=ask_weather, tools=[broken], tool_choice="required", **greedy)
    raise AssertionError("a tool with a broken pattern was accepted")
except BadRequestError as error:
    assert error.body["param"] == "tools" and "pattern" in error.body["message"], error.body


def generate(parameters, inputs="Answer with data only."):
    response = requests.post(root + "/generate", json={"inputs": inputs, "parameters": parameters}, timeout=600)
    assert response.status_code == 200, response.text
    return response.json()


# LightLLM's parameters: guided_json, regular_constraint, guided_grammar.
result = generate({"max_new_tokens": 120, "guided_json": person}, "A programmer, as JSON:")
jsonschema.validate(json.loads(result["generated_text"][0]), person)

date = r"20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
result = generate({"max_new_tokens": 20, "regular_constraint": date}, "The first moon landing was on")
assert re.fullmatch(date, result["generated_text"][0]), result

grammar = 'root ::= answer "." \nanswer ::= "yes" | "no" | "maybe"'
result = generate({"max_new_tokens": 10, "guided_grammar": grammar}, "Is Swift a programming language?")
assert result["generated_text"][0] in ("yes.", "no.", "maybe."), result

print("all checks passed")
