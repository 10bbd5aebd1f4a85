"""The command-line door (Typer): administrators' commands that call use cases."""
