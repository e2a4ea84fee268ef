"""Rate limits and abuse controls of the OTP endpoints; the threat model is docs/rate-limits.md."""
