from nqd.cli import main

raise SystemExit(main())
