"""The Flask front end of reviewflow."""
