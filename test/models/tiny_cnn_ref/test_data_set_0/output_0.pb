
BlogitsJ(Á†z¾ý‰)?=¿úo¿Îž›¾yU¢¾U‹W¾G}¿xíµ>z”¾