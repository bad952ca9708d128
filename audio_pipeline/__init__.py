"""audio_pipeline: approved Korean messages to broadcast-ready radio programmes."""

__version__ = "0.1.0"
