// The openai npm package's Responses API against a running agentgate: the streaming
// helper's final response, a streamed create(), and a conversation continued with
// previous_response_id. Run by tests/test_js_sdk.py.
//
//   node tests/js/responses.mjs http://127.0.0.1:8000/v1
//
// Prints one JSON object: {"final": <Response>, "streamed": {...}, "turns": [...]}.
import OpenAI from "openai";

const baseURL = process.argv[2] ?? "http://127.0.0.1:8000/v1";
const client = new OpenAI({ baseURL, apiKey: "x", maxRetries: 0 });

// The streaming helper: progress and answer as they come, then the whole response.
const stream = client.responses.stream({
  model: "loan-calculator",
  input: "principal: 300000, annual_rate: 6.5, years: 30",
});
stream.on("response.reasoning_summary_text.delta", (event) => process.stderr.write(event.delta));
const final = await stream.finalResponse();
console.error(final.output_text);

// A streamed create(): the events one by one.
const kinds = [];
let text = "";
for await (const event of await client.responses.create({ model: "hello", input: "hi", stream: true })) {
  kinds.push(event.type);
  if (event.type === "response.output_text.delta") text += event.delta;
}
const streamed = { kinds, text };

// A conversation: each request names the response before it.
let previous = null;
const turns = [];
for (const input of ["300000", "6.5", "30"]) {
  const response = await client.responses.create({
    model: "loan-calculator",
    input,
    previous_response_id: previous,
  });
  previous = response.id;
  turns.push(response.output_text);
}

console.log(JSON.stringify({ final, streamed, turns }, null, 2));
