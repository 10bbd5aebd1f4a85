"""The Viber door: signed callbacks in, the REST bot API out."""
