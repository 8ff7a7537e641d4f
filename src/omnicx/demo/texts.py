"""What the demo's customers write and what the agents answer, in English, French, Indonesian and Catalan.

Short, realistic exchanges for the intents the inbox detects (order status, return, complaint, product question,
purchase), so the inbox, its intent detection and its search have something true to work on. `{order}` and
`{product}` are filled in by the seeding.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "fr", "id", "ca")
LOCALE_LANGUAGE = {"fr-FR": "fr", "en-GB": "en", "id-ID": "id", "ca-ES": "ca", "es-ES": "ca"}


@dataclass(frozen=True)
class Exchange:
    """One conversation's script: the customer's opening, the agent's answer, the customer's follow-up."""

    intent: str
    subject: str
    opening: str
    answer: str
    follow_up: str


SCRIPTS: dict[str, tuple[Exchange, ...]] = {
    "en": (
        Exchange(
            "order_status",
            "Where is my order {order}?",
            "Hi, I ordered the {product} last week and it still hasn't arrived. Where is my order {order}?",
            "Hello! Your order {order} left our warehouse yesterday; you will receive it within two days.",
            "Great, thank you for the quick answer!",
        ),
        Exchange(
            "return",
            "Return for {order}",
            "Hello, the {product} doesn't fit in my living room. How do I return it and get a refund?",
            "Of course: you can return it within 30 days, free of charge, in any of our stores or by post.",
            "Perfect, I'll bring it back to the Paris store on Saturday.",
        ),
        Exchange(
            "complaint",
            "Damaged item",
            "I'm really disappointed: the {product} arrived broken and nobody answered my first message.",
            "We are very sorry. A replacement is on its way today and you will not be charged for it.",
            "Thanks, that's the right way to fix it.",
        ),
        Exchange(
            "product_question",
            "Question about the {product}",
            "Hi! Is the {product} dimmable, and which bulb does it need?",
            "Yes, it is dimmable and works with any E27 LED bulb up to 60 W.",
            "Good to know, thanks!",
        ),
        Exchange(
            "purchase",
            "Buying the {product}",
            "I'd like to buy the {product}. Is it in stock in Lyon so I can pick it up this afternoon?",
            "Yes, the Lyon store has it in stock: order online with click-and-collect and it's ready in 2 hours.",
            "Ordered! See you this afternoon.",
        ),
    ),
    "fr": (
        Exchange(
            "order_status",
            "Où en est ma commande {order} ?",
            "Bonjour, j'ai commandé la {product} la semaine dernière et je n'ai toujours rien reçu. "
            "Où en est ma commande {order} ?",
            "Bonjour ! Votre commande {order} a quitté notre entrepôt hier, vous la recevrez sous deux jours.",
            "Parfait, merci pour la réponse rapide !",
        ),
        Exchange(
            "return",
            "Retour de {order}",
            "Bonjour, la {product} ne convient pas à mon salon. Comment la retourner et être remboursée ?",
            "Bien sûr : le retour est gratuit sous 30 jours, en magasin ou par la poste.",
            "Très bien, je la rapporte au magasin de Paris samedi.",
        ),
        Exchange(
            "complaint",
            "Article abîmé",
            "Je suis très déçue : la {product} est arrivée cassée et personne n'a répondu à mon premier message.",
            "Toutes nos excuses. Un remplacement part aujourd'hui, sans frais pour vous.",
            "Merci, c'est la bonne façon de réparer l'erreur.",
        ),
        Exchange(
            "product_question",
            "Question sur la {product}",
            "Bonjour ! La {product} est-elle compatible avec un variateur, et quelle ampoule faut-il ?",
            "Oui, elle fonctionne avec un variateur et toute ampoule LED E27 jusqu'à 60 W.",
            "Bon à savoir, merci !",
        ),
        Exchange(
            "purchase",
            "Achat de la {product}",
            "Je voudrais acheter la {product}. Est-elle en stock à Lyon pour un retrait cet après-midi ?",
            "Oui, le magasin de Lyon l'a en stock : commandez en retrait magasin, c'est prêt en 2 heures.",
            "Commandé ! À cet après-midi.",
        ),
    ),
    "id": (
        Exchange(
            "order_status",
            "Di mana pesanan saya {order}?",
            "Halo, saya memesan {product} minggu lalu dan belum sampai. Di mana pesanan saya {order}?",
            "Halo! Pesanan {order} sudah keluar dari gudang kemarin dan akan tiba dalam dua hari.",
            "Baik, terima kasih atas jawaban cepatnya!",
        ),
        Exchange(
            "return",
            "Pengembalian {order}",
            "Halo, {product} tidak cocok untuk ruang tamu saya. Bagaimana cara mengembalikan dan refund?",
            "Tentu: pengembalian gratis dalam 30 hari, di toko kami atau lewat pos.",
            "Oke, saya kembalikan ke toko Paris hari Sabtu.",
        ),
        Exchange(
            "complaint",
            "Barang rusak",
            "Saya sangat kecewa: {product} datang dalam keadaan rusak dan pesan pertama saya tidak dijawab.",
            "Mohon maaf sekali. Pengganti dikirim hari ini tanpa biaya.",
            "Terima kasih, itu solusi yang tepat.",
        ),
        Exchange(
            "product_question",
            "Pertanyaan tentang {product}",
            "Halo! Apakah {product} bisa diredupkan, dan bohlam apa yang dibutuhkan?",
            "Ya, bisa diredupkan dan cocok dengan bohlam LED E27 hingga 60 W.",
            "Bagus, terima kasih!",
        ),
        Exchange(
            "purchase",
            "Membeli {product}",
            "Saya ingin membeli {product}. Apakah stoknya ada di Lyon untuk diambil sore ini?",
            "Ya, toko Lyon punya stoknya: pesan online dengan ambil di toko, siap dalam 2 jam.",
            "Sudah dipesan! Sampai nanti sore.",
        ),
    ),
    "ca": (
        Exchange(
            "order_status",
            "On és la meva comanda {order}?",
            "Hola, vaig demanar el {product} la setmana passada i encara no ha arribat. On és la comanda {order}?",
            "Hola! La comanda {order} va sortir ahir del magatzem; la rebràs en dos dies.",
            "Perfecte, gràcies per la resposta ràpida!",
        ),
        Exchange(
            "return",
            "Devolució de {order}",
            "Hola, el {product} no queda bé a la sala. Com el puc retornar i recuperar els diners?",
            "És clar: la devolució és gratuïta durant 30 dies, a la botiga o per correu.",
            "D'acord, el portaré a la botiga de Barcelona dissabte.",
        ),
        Exchange(
            "complaint",
            "Article malmès",
            "Estic molt decebuda: el {product} ha arribat trencat i ningú no va respondre el primer missatge.",
            "Ho sentim molt. Avui mateix us enviem un recanvi sense cap cost.",
            "Gràcies, així sí.",
        ),
        Exchange(
            "product_question",
            "Pregunta sobre el {product}",
            "Hola! El {product} es pot regular amb un regulador de llum, i quina bombeta necessita?",
            "Sí, es pot regular i funciona amb qualsevol bombeta LED E27 de fins a 60 W.",
            "Bo de saber, gràcies!",
        ),
        Exchange(
            "purchase",
            "Comprar el {product}",
            "Voldria comprar el {product}. El teniu a la botiga de Barcelona per recollir-lo aquesta tarda?",
            "Sí, la botiga de Barcelona en té: compra'l en línia amb recollida a botiga i estarà llest en 2 hores.",
            "Comprat! Fins aquesta tarda.",
        ),
    ),
}
