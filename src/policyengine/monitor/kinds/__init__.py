"""Monitor kinds, one module each; :mod:`.base` says what a kind must provide."""
