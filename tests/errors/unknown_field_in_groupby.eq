query per_port = Select(dprot, COUNT(*))
                 Groupby(dprot)
                 Every(1s);
