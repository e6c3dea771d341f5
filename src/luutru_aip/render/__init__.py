"""Presentation (L4): reports and the rule catalogue as text, JSON and Markdown. No checking logic."""
