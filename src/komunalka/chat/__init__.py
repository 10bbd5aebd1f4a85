"""The conversation every messenger runs (Telegram, Viber, the terminal): plain data in, plain
data out. Doors only translate their platform's updates into Events and Replies into messages."""
