"""Ledger (台账): the merchant register with its 一卡四色 grading, and the dog register."""
