from pagerline.cli import main

raise SystemExit(main())
