"""The web app: the desk's pages through the test client and in a real browser."""
