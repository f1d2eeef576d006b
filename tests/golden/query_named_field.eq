# A query may have a field's name: it is only ever read as NAME.COLUMN, in
# another namespace than the fields (loss.loss is the column loss of the
# query loss; the bare loss in Select is the field).
query loss = Select(saddr, daddr, loss) Where(proto == tcp) Groupby(saddr, daddr) Every(1s);
event lossy = loss.loss > 20;
