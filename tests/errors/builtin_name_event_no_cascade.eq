# The event's name is refused where it is defined; its uses are not
# reported again ("unknown event 'loss'; did you mean 'loss'?").
query flows = Select(saddr, loss) Groupby(saddr, daddr) Every(1s);
event loss = flows.loss > 10;
query detail = Select(saddr, COUNT(*)) Where(saddr == loss.saddr) Groupby(saddr) When(loss) Every(1s);
