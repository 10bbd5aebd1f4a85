"""The Telegram door (aiogram 3): webhook and long polling in, Bot API out."""
