from komunalka.bootstrap.cli import main

main()
