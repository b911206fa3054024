"""Top-level test configuration: makes the shared test modules in tests/ importable
(``cli_runner``) from every test package."""
