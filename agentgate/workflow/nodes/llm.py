"""`llm`: sends a prompt to an OpenAI-compatible model and keeps its answer as `text`.

By default it uses the server's internal LLM (AGENTGATE_LLM_BASE_URL and its key); a
workflow may name another endpoint with `base_url` and `api_key` (usually from `fixed`).
When its text is the workflow's answer, the tokens are streamed to the client as they come.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from agentgate.errors import NodeFailure
from agentgate.workflow.nodes.base import Node, NodeContext, NodeParams

if TYPE_CHECKING:
    import openai


class LlmParams(NodeParams):
    prompt: str = Field(..., description="Template of the user message sent to the model.")
    system: str | None = Field(None, description="Template of the system message.")
    model: str | None = Field(None, description="Model name (a template); default: the "
                              "internal LLM's model.")
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, gt=0)
    base_url: str | None = Field(None, description="Template of another endpoint's base URL.")
    api_key: str | None = Field(None, description="Template of that endpoint's API key, "
                                "e.g. `{{ fixed.openai_key }}`.")


class LlmNode(Node):
    type_name = "llm"
    Params = LlmParams

    def __init__(self, spec, params: LlmParams):
        super().__init__(spec, params)
        self._templates = {name: self.compile(value)
                           for name, value in params.model_dump().items()
                           if isinstance(value, str)}

    def _render(self, name: str, scope: dict[str, Any]) -> str | None:
        template = self._templates.get(name)
        return template.render(scope).strip() if template is not None else None

    async def run(self, context: NodeContext) -> dict[str, Any]:
        import openai  # the SDK takes long to import: only workflows that call a model pay

        scope = context.template_context()
        internal = context.runtime.llm
        base_url = self._render("base_url", scope)
        if base_url:
            client = openai.AsyncOpenAI(base_url=base_url, max_retries=0,
                                        api_key=self._render("api_key", scope) or "not-needed",
                                        timeout=context.runtime.node_timeout)
        elif internal is not None:
            client = internal.client
        else:
            raise NodeFailure("this step needs a language model, and none is configured "
                               "(set AGENTGATE_LLM_BASE_URL, or `base_url` on the node)")
        model = self._render("model", scope) or (internal.model if internal else None)
        if not model:
            raise NodeFailure("no model is named for this step (set `model` on the node)")
        messages = []
        system = self._render("system", scope)
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": self._render("prompt", scope)})
        # The step's own time limit, not the internal LLM's per-request one (which is for
        # reading messages, and shorter).
        options: dict[str, Any] = {"model": model, "messages": messages,
                                   "timeout": self.spec.timeout or context.runtime.node_timeout}
        if self.params.temperature is not None:
            options["temperature"] = self.params.temperature
        if self.params.max_tokens is not None:
            options["max_tokens"] = self.params.max_tokens
        try:
            text = await self._complete(client, options, context)
        except openai.APIStatusError as exc:
            raise NodeFailure(f"the language model answered HTTP {exc.status_code}") from None
        except openai.APITimeoutError:
            raise TimeoutError("the language model took too long to answer") from None
        except openai.APIConnectionError:
            raise NodeFailure("the language model could not be reached") from None
        finally:
            if base_url:
                await client.close()
        return {"text": text}

    async def _complete(self, client: "openai.AsyncOpenAI", options: dict[str, Any],
                        context: NodeContext) -> str:
        if context.stream is None:
            completion = await client.chat.completions.create(**options)
            context.runtime.add_usage(completion.usage)
            return completion.choices[0].message.content or ""
        parts: list[str] = []
        stream = await client.chat.completions.create(
            **options, stream=True, stream_options={"include_usage": True})
        async for chunk in stream:
            if chunk.usage is not None:
                context.runtime.add_usage(chunk.usage)
            for choice in chunk.choices:
                piece = choice.delta.content
                if piece:
                    parts.append(piece)
                    context.stream(piece)
        return "".join(parts)
