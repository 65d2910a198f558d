import _TestSupport

/// Response bodies shaped as real servers send them (ids, timestamps and texts shortened), for the
/// OpenAI-compatible provider's dialect tests.
enum RecordedResponses {
    /// api.openai.com, gpt-5-mini: `refusal: null`, `annotations`, reasoning tokens in the usage.
    static let openAIReasoningModel = """
        {
          "id": "chatcmpl-C4ycVd2x9kq0Qm1nTfYv8rJbLhA3w",
          "object": "chat.completion",
          "created": 1755000000,
          "model": "gpt-5-mini-2025-08-07",
          "choices": [
            {
              "index": 0,
              "message": {
                "role": "assistant",
                "content": "{\\"label\\":\\"false\\",\\"rationale\\":\\"The message is polite.\\"}",
                "refusal": null,
                "annotations": []
              },
              "finish_reason": "stop"
            }
          ],
          "usage": {
            "prompt_tokens": 86,
            "completion_tokens": 210,
            "total_tokens": 296,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 192, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
          },
          "service_tier": "default",
          "system_fingerprint": null
        }
        """

    /// api.openai.com's 400 when an o-series or gpt-5 model gets `max_tokens`.
    static let openAIMaxTokensUnsupported = """
        {
          "error": {
            "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            "type": "invalid_request_error",
            "param": "max_tokens",
            "code": "unsupported_parameter"
          }
        }
        """

    /// Azure OpenAI with an older api-version, given `max_completion_tokens`.
    static let azureMaxCompletionTokensUnknown = """
        {
          "error": {
            "message": "Unrecognized request argument supplied: max_completion_tokens",
            "type": "invalid_request_error",
            "param": null,
            "code": null
          }
        }
        """

    /// vLLM's 400 for a token limit larger than the model's context: the field is known, its value
    /// is not accepted.
    static let vLLMMaxTokensTooLarge = """
        {"object":"error","message":"max_tokens (100000) is too large; maximum context length is 8192","type":"BadRequestError","param":null,"code":400}
        """

    /// api.openai.com's 400 for a prompt longer than the context: nothing to reword.
    static let openAIContextLengthExceeded = """
        {
          "error": {
            "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded"
          }
        }
        """

    /// A FastAPI server's 422-style validation error sent as 400 for a missing field: `input`
    /// echoes the whole request, `max_tokens` and `response_format` included.
    static let fastAPIMissingField = """
        {"detail":[{"type":"missing","loc":["body","messages"],"msg":"Field required","input":{"model":"tiny","max_tokens":200,"response_format":{"type":"json_object"}}}]}
        """

    /// gpt-4o's structured refusal: `content` null, `refusal` set.
    static let openAIRefusal = """
        {
          "id": "chatcmpl-9nYAG9LPNonX8DAyrkwYfemr3C8HC",
          "object": "chat.completion",
          "created": 1721596428,
          "model": "gpt-4o-2024-08-06",
          "choices": [
            {
              "index": 0,
              "message": {"role": "assistant", "content": null, "refusal": "I'm sorry, I can't assist with that request."},
              "logprobs": null,
              "finish_reason": "stop"
            }
          ],
          "usage": {"prompt_tokens": 81, "completion_tokens": 11, "total_tokens": 92},
          "system_fingerprint": "fp_3407719c7f"
        }
        """

    /// Mistral's magistral: `content` is an array of parts, a `thinking` part first.
    static let mistralContentParts = """
        {
          "id": "5b7a4b1c0a8e4e6c9d2f", "object": "chat.completion", "created": 1750000000,
          "model": "magistral-medium-2507",
          "usage": {"prompt_tokens": 60, "completion_tokens": 140, "total_tokens": 200},
          "choices": [
            {
              "index": 0,
              "message": {
                "role": "assistant", "tool_calls": null,
                "content": [
                  {"type": "thinking", "thinking": [{"type": "text", "text": "Maybe {\\"label\\":\\"false\\"}? No, it insults."}]},
                  {"type": "text", "text": "{\\"label\\":\\"true\\","},
                  {"type": "text", "text": "\\"rationale\\":\\"It insults the reader.\\"}"}
                ]
              },
              "finish_reason": "stop"
            }
          ]
        }
        """

    /// A Responses-style gateway: `output_text` parts.
    static let outputTextParts = """
        {"id":"resp-1","object":"chat.completion","model":"gpt-4.1-mini","choices":[{"index":0,"message":{"role":"assistant","content":[{"type":"output_text","text":"{\\"label\\":\\"false\\"}","annotations":[]}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":6,"total_tokens":26}}
        """

    /// vLLM with `--reasoning-parser deepseek_r1`: the thinking in `reasoning_content`.
    static let vLLMReasoningContent = """
        {
          "id": "chatcmpl-8f1e2c6a9b7d4e0f", "object": "chat.completion", "created": 1740000000,
          "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
          "choices": [
            {
              "index": 0,
              "message": {
                "role": "assistant",
                "reasoning_content": "Okay, the user wants a label. Is it {\\"label\\":\\"true\\"}? No, the tone is friendly.",
                "content": "{\\"label\\":\\"false\\",\\"rationale\\":\\"Friendly tone.\\"}",
                "tool_calls": []
              },
              "logprobs": null, "finish_reason": "stop", "stop_reason": null
            }
          ],
          "usage": {"prompt_tokens": 40, "total_tokens": 300, "completion_tokens": 260, "prompt_tokens_details": null},
          "prompt_logprobs": null
        }
        """

    /// Ollama's /v1 serving deepseek-r1: the thinking inline in `content`.
    static let ollamaThinkInline = """
        {
          "id": "chatcmpl-245", "object": "chat.completion", "created": 1738000000, "model": "deepseek-r1:7b",
          "system_fingerprint": "fp_ollama",
          "choices": [
            {
              "index": 0,
              "message": {
                "role": "assistant",
                "content": "<think>\\nOkay, so I need to label this tweet. Something like {\\"label\\": \\"true\\"}? Wait, no, it is a compliment.\\n</think>\\n\\n```json\\n{\\"label\\": \\"false\\", \\"rationale\\": \\"A compliment.\\"}\\n```"
              },
              "finish_reason": "stop"
            }
          ],
          "usage": {"prompt_tokens": 45, "completion_tokens": 312, "total_tokens": 357}
        }
        """

    /// Ollama ≥ 0.9 serving qwen3 with thinking split out into `reasoning`.
    static let ollamaReasoningField = """
        {"id":"chatcmpl-611","object":"chat.completion","created":1755000000,"model":"qwen3:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"message":{"role":"assistant","content":"{\\"label\\":\\"false\\",\\"rationale\\":\\"Polite.\\"}","reasoning":"The user asks for JSON like {\\"label\\":\\"true\\"} but the text is polite."},"finish_reason":"stop"}],"usage":{"prompt_tokens":52,"completion_tokens":120,"total_tokens":172}}
        """

    /// llama.cpp's llama-server with a template that opens `<think>` in the prompt: only the
    /// closing tag comes back.
    static let llamaCppClosingTagOnly = """
        {"choices":[{"finish_reason":"stop","index":0,"message":{"role":"assistant","content":"Let me check the tone: {\\"label\\":\\"true\\"} would be wrong.\\n</think>\\n\\n{\\"label\\":\\"false\\",\\"rationale\\":\\"Kind words.\\"}"}}],"created":1740000000,"model":"QwQ-32B-Q4_K_M.gguf","system_fingerprint":"b4800-1a2b3c4d","object":"chat.completion","usage":{"completion_tokens":90,"prompt_tokens":30,"total_tokens":120},"id":"chatcmpl-Zr1xM2k","timings":{"prompt_n":30,"predicted_n":90}}
        """

    /// LM Studio refusing `response_format: {"type":"json_object"}` (a plain string `error`).
    static let lmStudioJSONObjectUnsupported = """
        {"error":"'response_format.type' must be 'json_schema' or 'text'"}
        """
}

extension ScriptedReply {
    /// A recorded body with its status.
    static func recorded(_ body: String, status: Int = 200) -> ScriptedReply { .json(body, status: status) }
}
