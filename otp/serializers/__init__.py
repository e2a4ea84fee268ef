"""Serializers of the OTP endpoints: `inputs` validate requests, `outputs` render every response."""
