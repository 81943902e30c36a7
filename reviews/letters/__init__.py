"""Approval letters (奖励资金核定通知书): pure rendering from typed content to PDF bytes."""
