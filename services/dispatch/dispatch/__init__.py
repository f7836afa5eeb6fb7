"""Dispatch (派遣): which squad takes a case, by grid and category."""
