from evidex.cli import app

app(prog_name="evidex")
