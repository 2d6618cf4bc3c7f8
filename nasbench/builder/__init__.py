"""The builder: protocol, one training job, plans, runners, shards and compaction."""
from nasbench.builder.protocol import PRESETS, Protocol, get_protocol

__all__ = ["PRESETS", "Protocol", "get_protocol"]
