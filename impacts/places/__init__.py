"""Places: where plants and reports are, on the map and in words."""
