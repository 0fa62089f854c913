"""The official catalog: loading talk lists, matching them to note talks, attaching them."""
