"""Agriculture pack: pesticide and veterinary-drug trade, fisheries licences."""
