"""Events to the integrator: webhook endpoints, the event outbox, signed delivery with retries."""
