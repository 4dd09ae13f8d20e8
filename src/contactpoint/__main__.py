from contactpoint.cli.main import run

run()
