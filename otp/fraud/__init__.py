"""The fraud guard: pumping and guessing rules across sessions, lists, decisions, test recipients."""
