from commitdigest.cli import main

main()
