"""Intake (受理): complaints from every channel become incidents, and incidents become events."""
