"""The VTN role: an OpenADR 2.0b server (registration, events, opt, reports; pull and push)."""
