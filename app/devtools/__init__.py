"""Development stand-ins for third parties this machine cannot reach (LLM upstreams, Stripe); never imported by the gateway."""
