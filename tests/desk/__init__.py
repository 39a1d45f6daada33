"""The order desk's actions and read models (gateway/desk), without a browser."""
