// The openai npm package against a running agentgate, three ways: the streaming helper's
// final completion, a streamed create() and a plain create(). Run by tests/test_js_sdk.py.
//
//   node tests/js/final_completion.mjs http://127.0.0.1:8000/v1
//
// Prints one JSON object: {"final": <ChatCompletion>, "streamed": {...}, "created": {...}}.
import OpenAI from "openai";

const baseURL = process.argv[2] ?? "http://127.0.0.1:8000/v1";
const client = new OpenAI({ baseURL, apiKey: "x", maxRetries: 0 });
const request = {
  model: "loan-calculator",
  messages: [{ role: "user", content: "principal: 300000, annual_rate: 6.5, years: 30" }],
};

// The streaming helper: events as they come, then the whole completion.
const stream = client.chat.completions.stream(request);
const final = await stream.finalChatCompletion();

// A streamed create(): the reply arrives in chunks.
let content = "";
let finishReason = null;
for await (const chunk of await client.chat.completions.create({ ...request, stream: true })) {
  for (const choice of chunk.choices) {
    content += choice.delta.content ?? "";
    finishReason = choice.finish_reason ?? finishReason;
  }
}
const streamed = { content, finish_reason: finishReason };

// A plain create(): the whole reply at once.
const completion = await client.chat.completions.create(request);
const created = {
  content: completion.choices[0].message.content,
  finish_reason: completion.choices[0].finish_reason,
};

console.log(JSON.stringify({ final, streamed, created }, null, 2));
