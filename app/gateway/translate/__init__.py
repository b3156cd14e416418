"""Translation between the OpenAI Chat Completions and Anthropic Messages formats."""
from .anthropic_to_openai import (
    anthropic_error_to_openai,
    anthropic_request_to_openai,
    anthropic_response_to_openai,
    anthropic_usage_to_openai,
)
from .openai_to_anthropic import (
    TranslationError,
    openai_error_to_anthropic,
    openai_request_to_anthropic,
    openai_response_to_anthropic,
    openai_usage_to_anthropic,
)
from .streams import AnthropicToOpenAIStream, OpenAIToAnthropicStream, SSEParser, StreamUsage, sse_event

__all__ = [
    "AnthropicToOpenAIStream",
    "OpenAIToAnthropicStream",
    "SSEParser",
    "StreamUsage",
    "TranslationError",
    "anthropic_error_to_openai",
    "anthropic_request_to_openai",
    "anthropic_response_to_openai",
    "anthropic_usage_to_openai",
    "openai_error_to_anthropic",
    "openai_request_to_anthropic",
    "openai_response_to_anthropic",
    "openai_usage_to_anthropic",
    "sse_event",
]
