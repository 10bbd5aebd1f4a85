"""The Telegram door: webhook and long polling in, Bot API out."""
