"""The Slack bot: renders the retriever's answers for Slack and the terminal."""

from bot.app import create_app
from bot.settings import Settings

__all__ = ["Settings", "create_app"]
