"""Telugu language toolkit: text primitives, the rasa analyzer and the cultural knowledge base."""
