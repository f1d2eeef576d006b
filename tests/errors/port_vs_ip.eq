query to_server = Select(saddr, sport)
                  Where(dport == 10.0.0.1);
