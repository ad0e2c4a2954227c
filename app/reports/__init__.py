"""The contract's monthly report (``citypilot report month``): HTML, PDF, XLSX and CSV of the same figures."""
