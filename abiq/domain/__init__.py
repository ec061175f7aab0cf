"""The cloud domain: what tasks do to virtual appliances and machines."""
