"""The official `openai` client against a running `gemma serve`: models, completions, chat,
streams of both, and a wrong key. Prints one JSON object with what it got.

usage: openai_client.py BASE_URL API_KEY PROMPT MAX_TOKENS
"""
import json
import sys

import openai

base_url, key, prompt, max_tokens = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)
out = {"openai_version": openai.__version__}
out["models"] = [m.id for m in client.models.list().data]
model = out["models"][0]

c = client.completions.create(model=model, prompt=prompt, max_tokens=max_tokens, temperature=0)
out["completion"] = c.choices[0].text
out["completion_finish"] = c.choices[0].finish_reason
out["usage"] = c.usage.model_dump()
out["completion_stream"] = "".join(
    chunk.choices[0].text
    for chunk in client.completions.create(
        model=model, prompt=prompt, max_tokens=max_tokens, temperature=0, stream=True
    )
    if chunk.choices
)

messages = [{"role": "user", "content": prompt}]
r = client.chat.completions.create(model=model, messages=messages, max_tokens=max_tokens, temperature=0)
out["chat"] = r.choices[0].message.content
out["chat_stream"] = "".join(
    chunk.choices[0].delta.content or ""
    for chunk in client.chat.completions.create(
        model=model, messages=messages, max_tokens=max_tokens, temperature=0, stream=True
    )
    if chunk.choices
)

e = client.completions.create(model=model, prompt=prompt, max_tokens=0, echo=True, logprobs=1)
out["echo_logprobs"] = e.choices[0].logprobs.token_logprobs

try:
    openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0).models.list()
    out["wrong_key"] = "accepted"
except openai.AuthenticationError as err:
    out["wrong_key"] = err.status_code
try:
    client.completions.create(model="no-such-model", prompt=prompt, max_tokens=1)
    out["unknown_model"] = "accepted"
except openai.NotFoundError as err:
    out["unknown_model"] = err.status_code

print(json.dumps(out))
