"""Client background tasks: Open WebUI asks the chat model itself for titles, tags, follow-up
suggestions and more, pasting the whole chat (our conversation block included) into one
`### Task:` prompt. Those requests get a cheap JSON answer here; they never start a
workflow, call the internal LLM or touch a conversation.
"""

from __future__ import annotations

import json
import re

from agentgate.api.wire import ChatRequest
from agentgate.workflow.loader import Workflow

TASK_HEADER = "X-OpenWebUI-Task"
_OUTPUT_KEYS = (('"title"', "title_generation"), ('"tags"', "tags_generation"),
                ('"follow_ups"', "follow_up_generation"), ('"queries"', "query_generation"),
                ('"prompt"', "image_prompt_generation"), ('"text"', "autocomplete_generation"),
                ('"tool_calls"', "function_calling"))
_EMOJI_TASK = re.compile(r"reflect the speaker's likely facial expression", re.I)


def detect(headers, chat: ChatRequest) -> str | None:
    """The kind of background task this request is, or None for a real chat turn."""
    header = headers.get(TASK_HEADER, "").strip().lower()
    if header and header not in ("default", "{{task}}"):
        return header
    if not chat.messages or chat.messages[-1].role != "user":
        return None
    text = chat.messages[-1].text().lstrip()
    if "<user_query>" in text:
        return None  # a RAG-wrapped question from the user: a normal turn
    if _EMOJI_TASK.search(text[:400]):
        return "emoji_generation"
    if not text.startswith("### Task:") or not re.search(
            r"<chat_history>|### Output:|JSON format:", text):
        return None
    output = text[text.find("### Output:"):] if "### Output:" in text else text
    for key, task in _OUTPUT_KEYS:
        if key in output:
            return task
    return "unknown_task"


def answer(task: str, workflow: Workflow) -> str:
    """The content of the reply to a background task: what the task asks for, made cheaply."""
    if "title" in task:
        return json.dumps({"title": workflow.title})
    if "tags" in task:
        return json.dumps({"tags": [workflow.title]})
    if "follow_up" in task:
        return json.dumps({"follow_ups": []})
    if "query" in task:
        return json.dumps({"queries": []})
    if "autocomplete" in task:
        return json.dumps({"text": ""})
    if "image_prompt" in task:
        return json.dumps({"prompt": ""})
    if "emoji" in task:
        return "🙂"
    if "function_calling" in task:
        return json.dumps({"tool_calls": []})
    return "{}"
